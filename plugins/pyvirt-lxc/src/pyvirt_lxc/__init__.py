"""pyvirt's Linux container driver (scheme ``lxc``); only its entry point exists so far."""
