# Known bugs found by fuzzing, not fixed in the source yet, patched in the fuzz build when it is
# configured with -DEVIDENCE_FUZZ_WORKAROUNDS=ON (scripts/fuzz --workarounds, build/fuzz-workarounds).
# Each entry: the reproducer in fuzz/regressions/, and the fix suggested to the file's owner.
# When the owner changes the line, the entry stops applying by itself; then delete it.

# (none open: the five bugs found so far are fixed in the source; their reproducers stay in
# fuzz/regressions/ and are replayed by scripts/fuzz.)
