"""`codekg sync`: index a git remote (docs/sync.md). remote.py fetches and reads the remote with
dulwich; checkpoint.py keeps where a sync stands; run.py writes the remote's files and indexes them."""
