/* Binding-table lookups: the open-addressing table described in lwaftr_abi.h. */
#pragma once

#include "lwaftr_maps.h"

/* The table in service and its header, read once per packet. */
struct table_ref {
    void* map;
    struct lwaftr_table_header* header;
};

/* 0 with the table in service, -1 before the first load. */
static __always_inline int current_table(struct table_ref* table) {
    __u32 zero = 0;
    table->map = bpf_map_lookup_elem(&lwaftr_tables, &zero);
    if (!table->map) return -1;
    table->header = bpf_map_lookup_elem(table->map, &zero);
    if (!table->header || table->header->magic != LWAFTR_TABLE_MAGIC) return -1;
    return 0;
}

static __always_inline struct lwaftr_slot* table_find(struct table_ref* table, __be32 ipv4,
                                                      __u16 psid, __u8 kind) {
    struct lwaftr_table_header* header = table->header;
    int psid_map = kind == LWAFTR_SLOT_PSID_MAP;
    __u32 max_probe = psid_map ? header->psid_max_probe : header->max_probe;
    __u32 base = psid_map ? 1 : header->softwire_base;
    __u32 home = lwaftr_home_slot(bpf_ntohl(ipv4), psid, kind,
                                  psid_map ? header->psid_capacity : header->capacity);
    for (__u32 probe = 0; probe < LWAFTR_MAX_PROBE; probe++) {
        if (probe >= max_probe) break;
        __u32 index = base + home + probe;
        struct lwaftr_slot* slot = bpf_map_lookup_elem(table->map, &index);
        if (!slot || slot->kind == LWAFTR_SLOT_EMPTY) break;
        if (slot->ipv4 == ipv4 && slot->psid == psid && slot->kind == kind) return slot;
    }
    return NULL;
}

/* The port set of ipv4, or NULL if the address is not shared through this table. */
static __always_inline struct lwaftr_port_set* table_port_set(struct table_ref* table,
                                                              __be32 ipv4) {
    struct lwaftr_slot* slot = table_find(table, ipv4, 0, LWAFTR_SLOT_PSID_MAP);
    return slot ? &slot->port_set : NULL;
}

/* The softwire owning (ipv4, port), or NULL. */
static __always_inline struct lwaftr_slot* table_softwire(struct table_ref* table, __be32 ipv4,
                                                          struct lwaftr_port_set* set, __u16 port) {
    __u16 psid;
    if (lwaftr_port_to_psid(port, set->psid_len, set->psid_offset, &psid) < 0) return NULL;
    return table_find(table, ipv4, psid, LWAFTR_SLOT_SOFTWIRE);
}

/* When every address of the table shares one port-set geometry, a packet's softwire can be
 * probed for before its address's PSID map: a hit proves the address is shared, so the
 * common case costs one table miss instead of two. Returns 0 and fills uniform then. */
static __always_inline int table_uniform_port_set(struct table_ref* table,
                                                  struct lwaftr_port_set* uniform) {
    struct lwaftr_table_header* header = table->header;
    if (header->uniform_psid_offset == LWAFTR_GEOMETRY_VARIES) return -1;
    uniform->psid_len = header->uniform_psid_len;
    uniform->psid_offset = header->uniform_psid_offset;
    return 0;
}
