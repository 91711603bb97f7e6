/*
 * libvirt_domain.h - one halab node as a libvirt domain: its XML, and the
 * hardware actions a scenario needs (power, NIC link, disks).
 *
 * A node is described by a small struct (hs_domain_spec): name, memory,
 * vCPUs, direct kernel boot (kernel, initrd, command line), up to two data
 * disks (vda, vdb: the guest's md RAID1; a disk path left empty is no
 * disk), up to four NICs LAN1..LAN4 (a NIC marked absent is left out; the
 * guest names the present ones eth0, eth1, ... in LAN order) as
 * point-to-point UDP tunnels on 127.0.0.1, a virtio-serial
 * channel to the guest agent (a unix socket on the host), the serial
 * console on a pty (for `hasim console`) logged to a file, and optional
 * fw_cfg files (hanode.conf and the cluster key, read by sim/guest/init).
 * hs_domain_xml_format() turns it into domain XML; the other functions
 * define, start, destroy and undefine it and act on its devices. Under a
 * system daemon QEMU runs as root without relabeling (static DAC label),
 * so that run-directory files need no ownership games; under a user's
 * session daemon (session_user) it runs as that user, who owns them
 * already, and has no security driver to name.
 * The domain type is 'qemu' (TCG) unless accel_kvm is set:
 * hs_domain_accel_probe() finds out whether KVM actually boots the guest.
 */
#ifndef HS_LIBVIRT_DOMAIN_H
#define HS_LIBVIRT_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#define HS_DOMAIN_NAME_MAX     64
#define HS_DOMAIN_PATH_MAX     256
#define HS_DOMAIN_CMDLINE_MAX  2048 /* x86 kernel command line limit */
#define HS_DOMAIN_NICS	       4    /* LAN1..LAN4 */
#define HS_DOMAIN_DISKS	       2    /* vda, vdb: md RAID1 */
#define HS_DOMAIN_XML_MAX      16384
#define HS_DOMAIN_TB_CACHE_MIB 32 /* see hs_domain_xml_head */
#define HS_DOMAIN_AGENT_PORT   "org.halab.agent.0"

struct hs_domain_nic {
	char mac[18];	      /* "52:54:00:xx:xx:xx" */
	uint16_t local_port;  /* UDP port QEMU binds on 127.0.0.1 */
	uint16_t remote_port; /* UDP port of the other end on 127.0.0.1 */
	bool link_down;	      /* start with the carrier off */
	bool absent;	      /* the model has no such port: no NIC in the domain */
};

struct hs_domain_spec {
	char name[HS_DOMAIN_NAME_MAX];
	uint32_t memory_mib;
	uint32_t vcpus;
	uint32_t tb_cache_mib; /* TCG translation cache; 0 = QEMU's own (1 GiB) */
	bool accel_kvm;	       /* <domain type='kvm'>; default TCG */
	bool autodestroy;      /* hs_domain_up: destroyed when the connection closes */
	bool session_user;     /* qemu:///session: no seclabel (QEMU runs as the user) */
	bool test_driver;      /* for test:///default: type 'test', arch i686 (unit tests) */
	char kernel_path[HS_DOMAIN_PATH_MAX];
	char initrd_path[HS_DOMAIN_PATH_MAX];
	char cmdline[HS_DOMAIN_CMDLINE_MAX];
	char disk_paths[HS_DOMAIN_DISKS][HS_DOMAIN_PATH_MAX];
	char disk_format[8]; /* "raw" or "qcow2" */
	struct hs_domain_nic nics[HS_DOMAIN_NICS];
	char agent_socket_path[HS_DOMAIN_PATH_MAX];
	char console_path[HS_DOMAIN_PATH_MAX];
	char config_path[HS_DOMAIN_PATH_MAX];	   /* fw_cfg opt/org.halab/hanode.conf; "" = none */
	char key_path[HS_DOMAIN_PATH_MAX];	   /* fw_cfg opt/org.halab/cluster.key; "" = none */
	char node_script_path[HS_DOMAIN_PATH_MAX]; /* fw_cfg opt/org.halab/node.sh; "" = none */
	char service_script_path[HS_DOMAIN_PATH_MAX]; /* fw_cfg .../service.sh; "" = none */
};

/* Defaults: 128 MiB, 1 vCPU, TCG with a HS_DOMAIN_TB_CACHE_MIB translation
 * cache, raw disks, LAN MACs 52:54:00:00:<node>:<n>. */
void hs_domain_spec_defaults(struct hs_domain_spec *spec, const char *name, unsigned node_index);

/* A guest sized by its node's model (the node's cpu_count and memory_mb,
 * which default to the model table's, refimpl/core/hn_models.h), scaled
 * down for the lab so that two guests fit this 2-core machine: memory
 * memory_mb / HS_GUEST_MEMORY_SCALE MiB, at least HS_GUEST_MEMORY_MIN
 * (what the guest needs to boot) and at most HS_GUEST_MEMORY_MAX; vCPUs
 * cpu_count / HS_GUEST_CPU_SCALE, 1..HS_GUEST_VCPUS_MAX. Both are monotone,
 * so a virt1 at least the rack's size stays at least the rack guest's size.
 * rack1 (4 CPUs, 8192 MB): 1 vCPU, 128 MiB; rack4 (16, 65536): 2 vCPUs,
 * 256 MiB. */
#define HS_GUEST_MEMORY_SCALE 64
#define HS_GUEST_MEMORY_MIN   128
#define HS_GUEST_MEMORY_MAX   256
#define HS_GUEST_CPU_SCALE    8
#define HS_GUEST_VCPUS_MAX    2
void hs_domain_spec_size(struct hs_domain_spec *spec, unsigned cpu_count, unsigned memory_mb);

/* Set one field from text, as in a spec file of `key = value` lines:
 * name, memory_mib, vcpus, tb_cache_mib, accel (tcg|kvm), kernel, initrd, cmdline, disk1,
 * disk2, disk_format, lanN_mac, lanN_local_port, lanN_remote_port,
 * lanN_link (up|down|absent) for N = 1..4, agent_socket, console, config, key.
 * Returns -1 on an unknown key or a bad value. */
int hs_domain_spec_set(struct hs_domain_spec *spec, const char *key, const char *value, char *error,
		       size_t error_size);

/* Domain XML into xml. Returns 0, or -1 if a field is missing, not valid or
 * the XML does not fit. */
int hs_domain_xml_format(const struct hs_domain_spec *spec, char *xml, size_t xml_size, char *error,
			 size_t error_size);

/* The XML of one NIC (index 0..3) with the given link state, as used both in
 * the domain and for virDomainUpdateDeviceFlags. */
int hs_domain_nic_xml_format(const struct hs_domain_spec *spec, int nic_index, bool link_up,
			     char *xml, size_t xml_size, char *error, size_t error_size);

/* The XML of one data disk (index 0..1), for attach and detach. */
int hs_domain_disk_xml_format(const struct hs_domain_spec *spec, int disk_index, char *xml,
			      size_t xml_size, char *error, size_t error_size);

/* Define (persistent) and start. Returns 0, or -1; on failure nothing stays
 * defined. */
int hs_domain_up(virConnectPtr connection, const struct hs_domain_spec *spec, char *error,
		 size_t error_size);

/* Destroy (if running) and undefine the domain called name. Succeeds when
 * it does not exist (idempotent). */
int hs_domain_down(virConnectPtr connection, const char *name, char *error, size_t error_size);

/* Power: on = start the defined domain; off = destroy (a power cut). */
int hs_domain_power_set(virConnectPtr connection, const char *name, bool on, char *error,
			size_t error_size);

/* The same without blocking the caller: a thread does it (destroying a TCG
 * guest takes ~1.5 s, starting one ~3 s, during which an event loop that
 * turns the fabric would stall and the surviving node would miss its ping
 * replies). Returns -1 only if the thread could not start; a failure of
 * the operation itself is printed on stderr. Cut the node's cables first:
 * then the network sees the power cut at once. */
int hs_domain_power_set_async(virConnectPtr connection, const char *name, bool on, char *error,
			      size_t error_size);

/* Wait (up to timeout_ms) until no asynchronous power operation runs.
 * hs_domain_down() calls it first, so that a start still under way cannot
 * leave a running domain behind. Returns 0, or -1 on timeout. */
int hs_domain_power_wait(int timeout_ms);

/* Whether the domain is running; -1 if it does not exist. */
int hs_domain_running(virConnectPtr connection, const char *name);

/* Set the carrier of NIC nic_index (LAN1 = 0) of the running domain. */
int hs_domain_nic_link_set(virConnectPtr connection, const struct hs_domain_spec *spec,
			   int nic_index, bool up, char *error, size_t error_size);

/* Hot-unplug (present = false) or plug back (true) data disk disk_index of
 * the running domain. Unplugging returns once QEMU has the request (the
 * guest completes it a little later); plugging back waits for QEMU. */
int hs_domain_disk_set(virConnectPtr connection, const struct hs_domain_spec *spec, int disk_index,
		       bool present, char *error, size_t error_size);

/* Remove every domain whose name starts with prefix (destroy + undefine).
 * Returns the number removed, or -1. */
int hs_domain_gc(virConnectPtr connection, const char *prefix, char *error, size_t error_size);

/* Boot spec (a bootable guest) with KVM and wait up to timeout_ms for
 * marker in its console file. *kvm_ok tells whether it appeared; libvirt
 * refusing type 'kvm' also means false (error then says why). The probe
 * domain (spec->name + "-probe") and its console file are removed in every
 * case. Returns -1 only when the probe domain could not be removed. */
int hs_domain_accel_probe(virConnectPtr connection, const struct hs_domain_spec *spec,
			  const char *marker, int timeout_ms, bool *kvm_ok, char *error,
			  size_t error_size);

#endif
