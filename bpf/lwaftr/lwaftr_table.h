/* Binding-table lookups: the open-addressing table described in lwaftr_abi.h. */
#pragma once

#include "lwaftr_maps.h"

/* The table in service, or NULL before the first load. */
static __always_inline void* current_table(void) {
    __u32 zero = 0;
    return bpf_map_lookup_elem(&lwaftr_tables, &zero);
}

static __always_inline struct lwaftr_slot* table_find(void* table, __be32 ipv4, __u16 psid,
                                                      __u8 kind) {
    __u32 zero = 0;
    struct lwaftr_table_header* header = bpf_map_lookup_elem(table, &zero);
    if (!header || header->magic != LWAFTR_TABLE_MAGIC) return NULL;
    int psid_map = kind == LWAFTR_SLOT_PSID_MAP;
    __u32 max_probe = psid_map ? header->psid_max_probe : header->max_probe;
    __u32 base = psid_map ? 1 : header->softwire_base;
    __u32 home = lwaftr_home_slot(bpf_ntohl(ipv4), psid, kind,
                                  psid_map ? header->psid_capacity : header->capacity);
    for (__u32 probe = 0; probe < LWAFTR_MAX_PROBE; probe++) {
        if (probe >= max_probe) break;
        __u32 index = base + home + probe;
        struct lwaftr_slot* slot = bpf_map_lookup_elem(table, &index);
        if (!slot || slot->kind == LWAFTR_SLOT_EMPTY) break;
        if (slot->ipv4 == ipv4 && slot->psid == psid && slot->kind == kind) return slot;
    }
    return NULL;
}

/* The port set of ipv4, or NULL if the address is not shared through this table. */
static __always_inline struct lwaftr_port_set* table_port_set(void* table, __be32 ipv4) {
    struct lwaftr_slot* slot = table_find(table, ipv4, 0, LWAFTR_SLOT_PSID_MAP);
    return slot ? &slot->port_set : NULL;
}

/* The softwire owning (ipv4, port), or NULL. */
static __always_inline struct lwaftr_slot* table_softwire(void* table, __be32 ipv4,
                                                          struct lwaftr_port_set* set, __u16 port) {
    __u16 psid;
    if (lwaftr_port_to_psid(port, set->psid_len, set->psid_offset, &psid) < 0) return NULL;
    return table_find(table, ipv4, psid, LWAFTR_SLOT_SOFTWIRE);
}
