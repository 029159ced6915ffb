# Every dependency comes from Debian's -dev packages; this file is the one place that finds them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
find_package(nlohmann_json 3.10 REQUIRED)
# OpenSSL for the fan-out benchmark's subscriber generator (bench/subscribers/subgen/).
find_package(OpenSSL REQUIRED)

pkg_check_modules(FCGI REQUIRED IMPORTED_TARGET fcgi)
pkg_check_modules(LWS REQUIRED IMPORTED_TARGET libwebsockets)
# libev (libev-dev) has no pkg-config file. The daemon owns the loop that lws runs on through
# its libev plugin (libwebsockets-evlib-ev, loaded at run time).
find_path(LIBEV_INCLUDE_DIR ev.h REQUIRED)
find_library(LIBEV_LIBRARY ev REQUIRED)
add_library(Libev::ev UNKNOWN IMPORTED)
set_target_properties(Libev::ev PROPERTIES IMPORTED_LOCATION "${LIBEV_LIBRARY}"
                                           INTERFACE_INCLUDE_DIRECTORIES "${LIBEV_INCLUDE_DIR}")

if(LIVESYNC_TESTS)
  find_package(Catch2 2 REQUIRED)
  include(Catch)
endif()
