"""Node device capabilities (libvirt's ``VIR_CONNECT_LIST_NODE_DEVICES_*``), loaded by
:mod:`pyvirt.types` on first use.
"""

import enum


class NodeDeviceCap(enum.IntFlag):
    """libvirt's ``VIR_CONNECT_LIST_NODE_DEVICES_*``: the capability bits a listing keeps, plus
    ACTIVE/INACTIVE.  No bit set means every device."""

    NONE = 0
    SYSTEM = 1 << 0
    PCI_DEV = 1 << 1
    USB_DEV = 1 << 2
    USB_INTERFACE = 1 << 3
    NET = 1 << 4
    SCSI_HOST = 1 << 5
    SCSI_TARGET = 1 << 6
    SCSI = 1 << 7
    STORAGE = 1 << 8
    FC_HOST = 1 << 9
    VPORTS = 1 << 10
    SCSI_GENERIC = 1 << 11
    DRM = 1 << 12
    MDEV_TYPES = 1 << 13
    MDEV = 1 << 14
    CCW_DEV = 1 << 15
    CSS_DEV = 1 << 16
    VDPA = 1 << 17
    AP_CARD = 1 << 18
    AP_QUEUE = 1 << 19
    AP_MATRIX = 1 << 20
    VPD = 1 << 21
    INACTIVE = 1 << 30
    ACTIVE = 1 << 31

    @classmethod
    def from_name(cls, name: str) -> "NodeDeviceCap":
        """The bit of a capability as the XML and ``virsh nodedev-list --cap`` spell it
        (``scsi_host``, ``pci``...); KeyError for a name libvirt does not know."""
        try:
            index = NODE_DEVICE_CAP_NAMES.index(name)
        except ValueError:
            raise KeyError(name) from None
        return cls(1 << index)


NODE_DEVICE_CAP_NAMES = (
    "system",
    "pci",
    "usb_device",
    "usb",
    "net",
    "scsi_host",
    "scsi_target",
    "scsi",
    "storage",
    "fc_host",
    "vports",
    "scsi_generic",
    "drm",
    "mdev_types",
    "mdev",
    "ccw",
    "css",
    "vdpa",
    "ap_card",
    "ap_queue",
    "ap_matrix",
    "vpd",
)
"""libvirt's capability names in bit order: name ``i`` is bit ``1 << i`` of :class:`NodeDeviceCap`."""
