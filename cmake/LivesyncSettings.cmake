# One INTERFACE target carries the language level, warnings and sanitizer flags, so every
# library and executable gets them by linking `livesync_settings` and nothing is set globally.
add_library(livesync_settings INTERFACE)
target_compile_features(livesync_settings INTERFACE cxx_std_20)
target_compile_options(livesync_settings INTERFACE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor)
target_compile_definitions(livesync_settings INTERFACE _FILE_OFFSET_BITS=64)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

if(LIVESYNC_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_compile_options(livesync_settings INTERFACE ${_san})
  target_link_options(livesync_settings INTERFACE ${_san})
endif()

# The fuzz build (clang): libFuzzer's coverage hooks in every library, with ASan and UBSan.
if(LIVESYNC_FUZZ)
  set(_fuzz -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
            -fno-omit-frame-pointer)
  target_compile_options(livesync_settings INTERFACE ${_fuzz})
  target_link_options(livesync_settings INTERFACE -fsanitize=address,undefined)
endif()

# GCC 12 (Debian 12's compiler) reports false -Wrestrict errors inside libstdc++'s std::string
# at -O3 (GCC bugs 105329, 105651); fixed in GCC 13.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(livesync_settings INTERFACE -Wno-restrict)
endif()
