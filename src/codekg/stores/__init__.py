"""Graph stores behind one small protocol; nothing outside this package knows the database."""
