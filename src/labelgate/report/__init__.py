"""Renderers: gate verdicts and stage metrics as text, Markdown and JSON, and the HTML pages."""
