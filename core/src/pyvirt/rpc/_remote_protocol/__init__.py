"""Shards of ``pyvirt.rpc.remote_protocol`` (generated; loaded on first use)."""
