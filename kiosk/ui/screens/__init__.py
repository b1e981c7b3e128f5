"""One screen per file; each has its stylesheet next to it."""
