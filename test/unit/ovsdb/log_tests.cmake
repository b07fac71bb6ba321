# The database file log layer (Open vSwitch standalone format) tests.
vtep_unit_test(ovsdb_log_tests SOURCES log_test.cpp VTEP_LIBS vtep_ovsdb)
