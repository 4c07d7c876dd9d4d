# <gnet/version.h> from version/version.h.in and the Makefile's VERSION_* (the one
# place the release is set). Generated into $(BUILD)/include, installed with the
# libraries' headers.
$(GN_VERSION_H): version/version.h.in Makefile
	@mkdir -p $(@D)
	$(call gn_say,GEN,$@)sed -e 's/@VERSION_MAJOR@/$(VERSION_MAJOR)/g' \
	    -e 's/@VERSION_MINOR@/$(VERSION_MINOR)/g' -e 's/@VERSION_PATCH@/$(VERSION_PATCH)/g' \
	    $< > $@.tmp && mv $@.tmp $@

version:
	@echo $(VERSION)

.PHONY: version
