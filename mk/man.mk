# Man pages: one per library, NAME(3) (gnet-buffer(3), ..., gnet(3)), generated
# from its headers by mk/man.sh into $(BUILD)/man/man3; make install puts them in
# $(MANDIR)/man3.
#help man                 the man pages, build/man/man3/<library>.3 (man -l to read one)
GN_MAN_PAGES := $(foreach l,$(LIBS),$(BUILD)/man/man3/$($(l)_NAME).3)

define GN_MAN_PAGE
$(BUILD)/man/man3/$($(1)_NAME).3: $($(1)_HEADERS) $($(1)_DIR)/$($(1)_NAME).pc.in mk/man.sh Makefile
	@mkdir -p $$(@D)
	$$(call gn_say,GEN,$$@)GN_MAN_ALL='$$(foreach l,$$(LIBS),$$($$(l)_NAME))' sh mk/man.sh $($(1)_NAME) $(VERSION) $($(1)_DIR)/$($(1)_NAME).pc.in \
	    $($(1)_HEADERS) > $$@.tmp && mv $$@.tmp $$@
endef
$(foreach l,$(LIBS),$(eval $(call GN_MAN_PAGE,$(l))))

man: $(GN_MAN_PAGES)
all: man
install: man
.PHONY: man
