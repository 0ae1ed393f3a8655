"""`labelgate init`: create a new project from the bundled template."""
