################################################################################
#
# venuebox
#
################################################################################

VENUEBOX_LICENSE = MIT
VENUEBOX_LICENSE_FILES =
# The service runs as its own user; /data is its home (config and credentials).
VENUEBOX_USERS = venuebox -1 venuebox -1 * /data - - VenueBox service

ifeq ($(BR2_PACKAGE_VENUEBOX_PREBUILT),y)

VENUEBOX_SITE = $(call qstrip,$(BR2_PACKAGE_VENUEBOX_PREBUILT_DIR))
VENUEBOX_SITE_METHOD = local
VENUEBOX_VERSION = prebuilt

define VENUEBOX_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/venuebox $(TARGET_DIR)/usr/bin/venuebox
endef

$(eval $(generic-package))

else ifeq ($(BR2_PACKAGE_VENUEBOX_FROM_SOURCE),y)

VENUEBOX_VERSION = $(call qstrip,$(BR2_PACKAGE_VENUEBOX_GIT_VERSION))
VENUEBOX_SITE = $(call qstrip,$(BR2_PACKAGE_VENUEBOX_GIT_URL))
VENUEBOX_SITE_METHOD = git
VENUEBOX_CARGO_BUILD_OPTS = -p venuebox --bin venuebox

define VENUEBOX_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 \
		$(@D)/target/$(RUSTC_TARGET_NAME)/release/venuebox \
		$(TARGET_DIR)/usr/bin/venuebox
endef

$(eval $(cargo-package))

endif
