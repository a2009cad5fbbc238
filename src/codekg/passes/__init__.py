"""The index run's passes, one module each: scan → parse → structure → resolve → load."""
