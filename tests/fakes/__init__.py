"""Fakes for the process edge (an Ollama HTTP server); real HTTP on 127.0.0.1, nothing patched."""
