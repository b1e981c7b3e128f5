"""One widget per file; each has its stylesheet next to it where it needs one."""
