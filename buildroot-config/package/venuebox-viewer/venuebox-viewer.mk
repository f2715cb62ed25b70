################################################################################
#
# venuebox-viewer
#
################################################################################

VENUEBOX_VIEWER_VERSION = local
VENUEBOX_VIEWER_SITE = $(call qstrip,$(BR2_PACKAGE_VENUEBOX_VIEWER_DIST))
VENUEBOX_VIEWER_SITE_METHOD = local
VENUEBOX_VIEWER_LICENSE = MIT

define VENUEBOX_VIEWER_INSTALL_TARGET_CMDS
	rm -rf $(TARGET_DIR)/usr/share/venuebox/viewer
	mkdir -p $(TARGET_DIR)/usr/share/venuebox/viewer
	cp -a $(@D)/. $(TARGET_DIR)/usr/share/venuebox/viewer/
	rm -f $(TARGET_DIR)/usr/share/venuebox/viewer/.stamp_* \
		$(TARGET_DIR)/usr/share/venuebox/viewer/.files-list*.txt \
		$(TARGET_DIR)/usr/share/venuebox/viewer/.br_*
endef

$(eval $(generic-package))
