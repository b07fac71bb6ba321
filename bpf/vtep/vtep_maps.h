/* The VTEP maps. The control plane (dataplane/vtep) writes all of them except the
 * learned entries of local_macs, the counters and the learn-event ring. Every map is
 * pinned per instance, so a restarted daemon adopts them. */
#pragma once

/* The kernel types first: libbpf's helper headers use them. */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include "vtep_abi.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vtep_config);
} vtep_config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VTEP_MAX_TUNNEL_IPS);
    __type(key, __be32);
    __type(value, __u32);
} vtep_tunnel_ips SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vtep_tunnel_ip_list);
} vtep_tunnel_ip_list SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VTEP_MAX_BINDINGS);
    __type(key, struct vtep_binding_key);
    __type(value, struct vtep_binding);
} vtep_bindings SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VTEP_MAX_LOGICAL_SWITCHES);
    __type(key, __u32);
    __type(value, struct vtep_logical_switch);
} vtep_logical_switches SEC(".maps");

/* Not an LRU: a MAC flood must never evict established entries (the per-port limit
 * and the table size bound it instead). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VTEP_MAX_LOCAL_MACS);
    __type(key, struct vtep_mac_key);
    __type(value, struct vtep_local_mac);
} vtep_local_macs SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VTEP_MAX_REMOTE_MACS);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct vtep_mac_key);
    __type(value, struct vtep_remote_mac);
} vtep_remote_macs SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VTEP_MAX_PORTS);
    __type(key, __u32);
    __type(value, struct vtep_port);
} vtep_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VTEP_MAX_NEXT_HOPS);
    __type(key, __be32);
    __type(value, struct vtep_next_hop);
} vtep_next_hops SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vtep_next_hop_summary);
} vtep_next_hop_summary SEC(".maps");

/* Egress devices for XDP_REDIRECT, keyed by ifindex. */
struct {
    __uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
    __uint(max_entries, VTEP_MAX_PORTS);
    __type(key, __u32);
    __type(value, struct bpf_devmap_val);
} vtep_tx_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, VTEP_CTR_MAX);
    __type(key, __u32);
    __type(value, __u64);
} vtep_counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, VTEP_MAX_BINDINGS);
    __type(key, __u32);
    __type(value, struct vtep_binding_stats);
} vtep_binding_stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, VTEP_LEARN_RING_BYTES);
} vtep_learn_events SEC(".maps");
