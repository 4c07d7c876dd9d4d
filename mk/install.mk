# make install / make uninstall [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=...]
#
# Installs, for every library declared in a lib.mk: its public headers (and the
# generated <gnet/version.h>) in $(INCLUDEDIR)/gnet, the archive, the shared object
# (real name, soname link, development link), a pkg-config file in $(PKGCONFIGDIR),
# and one CMake package (gnet-c-config.cmake, targets gnet::<lib> and
# gnet::<lib>_static) in $(CMAKEDIR). uninstall removes exactly those files.
CMAKEDIR ?= $(LIBDIR)/cmake/gnet-c
MANDIR ?= $(PREFIX)/share/man

# One word per library: short|dir|name|pkg-config requires|system libs|gnet requires
GN_INSTALL_SPECS = $(foreach l,$(LIBS),"$(l)|$($(l)_DIR)|$($(l)_NAME)|$($(l)_PC_REQUIRES)|$($(l)_LDLIBS)|$($(l)_REQUIRES)")
GN_INSTALL_ARGS = "$(DESTDIR)" "$(PREFIX)" "$(LIBDIR)" "$(INCLUDEDIR)" "$(PKGCONFIGDIR)" \
    "$(CMAKEDIR)" "$(MANDIR)" "$(VERSION)" "$(BUILD)"

install: libs $(GN_VERSION_H)
	@sh mk/install.sh install $(GN_INSTALL_ARGS) $(GN_INSTALL_SPECS)

uninstall:
	@sh mk/install.sh uninstall $(GN_INSTALL_ARGS) $(GN_INSTALL_SPECS)

.PHONY: install uninstall
