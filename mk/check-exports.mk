# make check-exports: every shared object exports exactly the functions its
# headers declare GN_EXPORT (plus gn_version and gn_version_string), each under
# the library's version node; a missing or an extra symbol fails with the diff.
#help check-exports       nm -D of every shared object against the GN_EXPORT declarations
define GN_CHECK_EXPORTS
check-exports-$(1): $($(1)_SO) $($(1)_AR)
	@sh mk/check-exports.sh $($(1)_SO) $($(1)_AR) $($(1)_NODE) $($(1)_HEADERS) version/version.h.in
.PHONY: check-exports-$(1)
endef
$(foreach l,$(LIBS),$(eval $(call GN_CHECK_EXPORTS,$(l))))

check-exports: $(foreach l,$(LIBS),check-exports-$(l))
.PHONY: check-exports
