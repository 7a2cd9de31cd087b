"""pyvirt's QEMU/KVM driver (scheme ``qemu``); only its entry point exists so far."""
