// Schemas compiled into the binaries: hardware_vtep (schemas/vtep.ovsschema) and
// Open vSwitch's _Server database (schemas/_server.ovsschema).
#pragma once

namespace vtep::ovsdb {

extern const char* const kVtepSchemaJson;
extern const char* const kServerSchemaJson;

}  // namespace vtep::ovsdb
