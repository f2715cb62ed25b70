include $(sort $(wildcard $(BR2_EXTERNAL_VENUEBOX_PATH)/package/*/*.mk))
