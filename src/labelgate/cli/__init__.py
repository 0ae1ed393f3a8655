"""The thin command line: parse arguments, call the library, print, return an exit code."""
