# Every dependency comes from Debian's -dev packages; this file is the one place that finds them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
find_package(nlohmann_json 3.10 REQUIRED)

pkg_check_modules(FCGI REQUIRED IMPORTED_TARGET fcgi)
pkg_check_modules(LWS REQUIRED IMPORTED_TARGET libwebsockets)

if(LIVESYNC_TESTS)
  find_package(Catch2 2 REQUIRED)
  include(Catch)
endif()
