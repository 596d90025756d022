"""The headless commands of the `gradstep` command line: run, check, serve."""
