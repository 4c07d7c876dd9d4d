# make demo also builds every example, so build/examples/echo (and the others)
# can be run right after it, as the README's quick start does.
demo: $(EXAMPLES)
