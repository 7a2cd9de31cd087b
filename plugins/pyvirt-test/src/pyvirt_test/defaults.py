"""The objects and host of ``test:///default``, as real libvirt 9.0's test driver shows them.

The documents are what ``virsh -c test:///default dumpxml --inactive test``, ``net-dumpxml
default`` and ``pool-dumpxml default-pool`` print (facts of libvirt's behaviour, kept in
``shared/corpus/testdriver/default-state/``); defining them gives back the same objects.
Each object's identity (and the domain's :data:`DOMAIN_FACTS`: the numbers ``dominfo`` shows) is
repeated here, so listing and describing them never parses a document; a test keeps each equal
to what its document says.
"""

from __future__ import annotations

from pyvirt.types import NodeInfo
from pyvirt_test.state import DomainFacts, NumaCell

NODE_INFO = NodeInfo(model="i686", memory=3145728, cpus=16, mhz=1400, nodes=2, sockets=2, cores=2, threads=2)
"""What libvirt's test driver reports for ``test:///default``, and where a node file says nothing."""

CELLS: tuple[NumaCell, ...] = (
    NumaCell(0, 2097152, 4, 524288, range(0, 8), 0),
    NumaCell(1, 4194304, 8, 524288, range(8, 16), 1),
)
"""``test:///default``'s NUMA cells (a node file has none)."""

SECURITY_MODEL = "testSecurity"
"""The security model of every test node (capabilities ``secmodel`` and ``dominfo``)."""

DOMAIN_FACTS = DomainFacts(
    name="test",
    uuid="6695eb01-f6a4-8304-79aa-97f2502e193f",
    memory_kib=8388608,
    current_memory_kib=2097152,
    vcpus=2,
    current_vcpus=2,
)

DOMAIN_XML = """<domain type='test'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='i686'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <source file='/guest/diskimage1'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='aa:bb:cc:dd:ee:ff'/>
      <source network='default'/>
      <target dev='testnet0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </interface>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </memballoon>
  </devices>
</domain>
"""

NETWORK_IDENTITY = ("default", "dd8fe884-6c02-601e-7551-cca97df1c5df")
"""(name, UUID) of :data:`NETWORK_XML`."""

NETWORK_XML = """<network>
  <name>default</name>
  <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
"""

POOL_IDENTITY = ("default-pool", "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566")
"""(name, UUID) of :data:`POOL_XML`."""

POOL_XML = """<pool type='dir'>
  <name>default-pool</name>
  <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>
  <target>
    <path>/default-pool</path>
  </target>
</pool>
"""

SYSINFO_XML = """<sysinfo type='smbios'>
  <bios>
    <entry name='vendor'>LENOVO</entry>
    <entry name='version'>G4ETA1WW (2.61 )</entry>
    <entry name='date'>05/07/2014</entry>
    <entry name='release'>2.61</entry>
  </bios>
</sysinfo>
"""
"""``virsh sysinfo`` of every test node (libvirt's test driver reports this fixed BIOS)."""

INTERFACE_IDENTITY = ("eth1", "aa:bb:cc:dd:ee:ff")
"""(name, MAC) of :data:`INTERFACE_XML`."""

INTERFACE_XML = """<interface type='ethernet' name='eth1'>
  <start mode='onboot'/>
  <mtu size='1492'/>
  <protocol family='ipv4'>
    <ip address='192.168.0.5' prefix='24'/>
    <route gateway='192.168.0.1'/>
  </protocol>
  <mac address='aa:bb:cc:dd:ee:ff'/>
</interface>
"""
"""``test:///default``'s host interface (up) as ``virsh iface-dumpxml eth1`` prints it."""

NODE_DEVICE_XMLS = (
    """<device>
  <name>computer</name>
  <capability type='system'>
    <hardware>
      <vendor>Libvirt</vendor>
      <version>Test driver</version>
      <serial>123456</serial>
      <uuid>11111111-2222-3333-4444-555555555555</uuid>
    </hardware>
    <firmware>
      <vendor>Libvirt</vendor>
      <version>Test Driver</version>
      <release_date>01/22/2007</release_date>
    </firmware>
  </capability>
</device>
""",
    """<device>
  <name>scsi_host1</name>
  <parent>computer</parent>
  <capability type='scsi_host'>
    <host>1</host>
    <unique_id>0</unique_id>
    <capability type='fc_host'>
      <wwnn>2000000012341234</wwnn>
      <wwpn>1000000012341234</wwpn>
      <fabric_wwn>2000000043214321</fabric_wwn>
    </capability>
    <capability type='vport_ops'>
      <max_vports>0</max_vports>
      <vports>0</vports>
    </capability>
  </capability>
</device>
""",
    """<device>
  <name>scsi_host2</name>
  <parent>computer</parent>
  <capability type='scsi_host'>
    <host>2</host>
    <unique_id>1</unique_id>
    <capability type='fc_host'>
      <wwnn>2000000056785678</wwnn>
      <wwpn>1000000056785678</wwpn>
      <fabric_wwn>2000000087658765</fabric_wwn>
    </capability>
    <capability type='vport_ops'>
      <max_vports>0</max_vports>
      <vports>0</vports>
    </capability>
  </capability>
</device>
""",
    """<device>
  <name>scsi_host11</name>
  <parent>scsi_host1</parent>
  <capability type='scsi_host'>
    <host>11</host>
    <unique_id>10</unique_id>
    <capability type='fc_host'>
      <wwnn>2000000034563456</wwnn>
      <wwpn>1000000034563456</wwpn>
      <fabric_wwn>2000000043214321</fabric_wwn>
    </capability>
  </capability>
</device>
""",
)
"""``test:///default``'s node devices as ``virsh nodedev-dumpxml`` prints them (libvirt 9.0
reports ``max_vports`` 0 whatever its default node says)."""

NODE_DEVICE_FACTS = (
    ("computer", None, ("system",), ()),
    ("scsi_host1", "computer", ("scsi_host",), ("fc_host", "vport_ops")),
    ("scsi_host2", "computer", ("scsi_host",), ("fc_host", "vport_ops")),
    ("scsi_host11", "scsi_host1", ("scsi_host",), ("fc_host",)),
)
"""(name, parent, capabilities, nested capabilities) of each of :data:`NODE_DEVICE_XMLS`, so
listing and lookups need not parse them."""
