# pkg-config files for the build tree (pkg-config's -uninstalled convention): with
#   PKG_CONFIG_PATH=$(BUILD)/pkgconfig pkg-config --cflags --libs gnet
# a program in a checkout compiles against the source headers and links the
# libraries in $(BUILD)/lib (with a runpath there), without make install.
# pkg-config prefers <name>-uninstalled.pc over <name>.pc on its own.
GN_ABS_BUILD = $(abspath $(BUILD))
GN_UNINSTALLED_PCS := $(foreach l,$(LIBS),$(BUILD)/pkgconfig/$($(l)_NAME)-uninstalled.pc)

define GN_UNINSTALLED_PC
$(BUILD)/pkgconfig/$($(1)_NAME)-uninstalled.pc: $($(1)_DIR)/$($(1)_NAME).pc.in mk/pc.sh Makefile
	@mkdir -p $$(@D)
	$$(call gn_say,GEN,$$@)sh mk/pc.sh $$< $(CURDIR) $$(GN_ABS_BUILD)/lib $(CURDIR)/$($(1)_DIR)/include \
	    $(VERSION) "$($(1)_PC_REQUIRES)" "$($(1)_LDLIBS)" -I$$(GN_ABS_BUILD)/include \
	    '-Wl,-rpath,$$$${libdir}' > $$@
endef
$(foreach l,$(LIBS),$(eval $(call GN_UNINSTALLED_PC,$(l))))

libs: $(GN_UNINSTALLED_PCS) $(GN_VERSION_H)
