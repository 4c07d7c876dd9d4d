# make docs: the API reference from every library's public headers (Doxygen,
# docs/Doxyfile) in $(BUILD)/docs/html; Doxygen's warnings go to
# $(BUILD)/docs/warnings.log. make docs-check fails when a public symbol has no
# doc comment (or a comment is malformed) and prints the warnings.
#help docs                API reference (Doxygen) in build/docs/html
#help docs-check          docs, failing on any undocumented public symbol
GN_DOC_HEADERS = $(foreach l,$(LIBS),$($(l)_HEADERS)) $(GN_VERSION_H)

docs: $(GN_VERSION_H)
	@mkdir -p $(BUILD)/docs
	$(call gn_say,DOXYGEN,$(BUILD)/docs/html)( cat docs/Doxyfile; \
	    echo 'INPUT = $(GN_DOC_HEADERS)'; echo 'OUTPUT_DIRECTORY = $(BUILD)/docs'; \
	    echo 'PROJECT_NUMBER = $(VERSION)'; echo 'WARN_LOGFILE = $(BUILD)/docs/warnings.log' ) \
	    | doxygen -
	@echo "API reference: $(BUILD)/docs/html/index.html ($$(wc -l < $(BUILD)/docs/warnings.log) warnings)"

docs-check: docs
	@if [ -s $(BUILD)/docs/warnings.log ]; then \
	    echo "docs-check: undocumented or badly documented public symbols:" >&2; \
	    cat $(BUILD)/docs/warnings.log >&2; exit 1; fi
	@echo "docs-check: every public symbol is documented"

.PHONY: docs docs-check
