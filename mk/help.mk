# make help: the targets and variables, from the lines starting "#help " in the
# Makefile and every mk/*.mk (a fragment documents its own targets that way).
#help all                 every library (.a, .so), build/pkgconfig/*-uninstalled.pc, examples, benchmarks
#help libs                the libraries and the build tree's pkg-config files only
#help examples            build/examples/* (echo, echo_demo, netpoll_client, ...)
#help test, check         build and run every Check suite; test-<lib> for one
#help test SAN=address,undefined   the suites under ASan+UBSan (SAN=thread: TSan)
#help bench               build and run every benchmark; bench-<lib> for one
#help demo                build and run the echo demo
#help install             headers, libraries, pkg-config and CMake files (PREFIX, DESTDIR)
#help uninstall           remove what install put there (same PREFIX, DESTDIR)
#help format, format-check   clang-format the tracked sources / check them
#help version             print the release (from the Makefile's VERSION_*)
#help clean               remove every build directory
#help variables: CC CFLAGS LDFLAGS OPT SAN BUILD PREFIX LIBDIR DESTDIR V=1 (full commands) WERROR=1
help:
	@echo "gnet-c $(VERSION): make [target] [VAR=value]"
	@sed -n 's/^#help /  /p' Makefile $(sort $(wildcard mk/*.mk))
	@echo "  libraries: $(LIBS) (test-<lib>, bench-<lib>)"

.PHONY: help
