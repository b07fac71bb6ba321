# The database file log layer (Open vSwitch standalone format) and its tests.
vtep_library(vtep_ovsdb_log SOURCES ${PROJECT_SOURCE_DIR}/ovsdb-vtep/ovsdb/log.cpp
    LIBS nlohmann_json::nlohmann_json OpenSSL::Crypto)
vtep_unit_test(ovsdb_log_tests SOURCES log_test.cpp VTEP_LIBS vtep_ovsdb_log)
