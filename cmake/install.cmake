# Installation (docs/install.md): `cmake --install build --prefix P` puts the tools in P/bin, the
# libraries and headers in P/lib and P/include, the CMake package in P/lib/cmake/blurkit
# (find_package(blurkit)), the run-time data in P/share/blurkit, man pages in P/share/man/man1 and
# the Python package, with its compiled module, in P/${BLURKIT_PYTHON_INSTALL_DIR}. CPack's DEB
# generator makes the same tree under /usr into blurkit_VERSION_ARCH.deb.
include(CMakePackageConfigHelpers)

# Debian's folder for Python packages of every python3 version, in sys.path of /usr/bin/python3 for
# the prefix /usr; under another prefix, add P/lib/python3/dist-packages to PYTHONPATH.
set(BLURKIT_PYTHON_INSTALL_DIR lib/python3/dist-packages CACHE STRING
  "Where the blurkit Python package is installed, relative to the prefix")
set(BLURKIT_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/blurkit)

# Libraries (static; the exported targets carry their link dependencies) and the tools.
set(blurkit_libraries blurkit_core)
set(blurkit_tools)
foreach(module synth bench train)
  if(TARGET blurkit_${module})
    set_target_properties(blurkit_${module} PROPERTIES EXPORT_NAME ${module})
    list(APPEND blurkit_libraries blurkit_${module})
    list(APPEND blurkit_tools blurkit-${module})
  endif()
endforeach()
install(TARGETS ${blurkit_libraries} EXPORT blurkitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ${blurkit_tools} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Public headers of the modules built.
foreach(module core synth bench train)
  if(TARGET blurkit_${module})
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/blurkit/${module}
      DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/blurkit)
  endif()
endforeach()

# The CMake package: blurkit::core, blurkit::synth, blurkit::bench, blurkit::train (those built).
install(EXPORT blurkitTargets NAMESPACE blurkit:: DESTINATION ${BLURKIT_CMAKE_INSTALL_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/blurkitConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/blurkitConfig.cmake INSTALL_DESTINATION ${BLURKIT_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/blurkitConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/blurkitConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/blurkitConfigVersion.cmake DESTINATION ${BLURKIT_CMAKE_INSTALL_DIR})

# Run-time data: the data manifests, which the tools also take by name (--manifest demo_panorama;
# blurkit/core/install_paths.h). The build tree gets the same layout (build/share/blurkit beside
# build/synth/), so that the built tools find them as the installed ones do.
file(GLOB blurkit_manifests CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/data_manifests/*.json)
foreach(manifest ${blurkit_manifests})
  get_filename_component(name ${manifest} NAME)
  configure_file(${manifest} ${CMAKE_BINARY_DIR}/share/blurkit/data_manifests/${name} COPYONLY)
endforeach()
install(FILES ${blurkit_manifests} DESTINATION ${CMAKE_INSTALL_DATADIR}/blurkit/data_manifests)

# The Python package and its compiled module (blurkit.synth imports it from beside itself).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/blurkit DESTINATION ${BLURKIT_PYTHON_INSTALL_DIR}
  FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
if(TARGET blurkit_python_synth)
  install(TARGETS blurkit_python_synth LIBRARY DESTINATION ${BLURKIT_PYTHON_INSTALL_DIR}/blurkit)
endif()

# Man pages from each tool's --help and --version (Debian's help2man), made at build time.
find_program(BLURKIT_HELP2MAN help2man)
find_program(BLURKIT_GZIP gzip)
if(BLURKIT_HELP2MAN AND BLURKIT_GZIP)
  set(blurkit_man_pages)
  set(blurkit-synth_name "make motion-blur datasets (blurred images and their sharp frames)")
  set(blurkit-bench_name "score deblurring methods on blurkit datasets")
  set(blurkit-train_name "train and run blurkit's deblurring models")
  foreach(tool ${blurkit_tools})
    set(page ${CMAKE_BINARY_DIR}/man/${tool}.1)
    add_custom_command(OUTPUT ${page}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${BLURKIT_HELP2MAN} --no-info --no-discard-stderr --name=${${tool}_name}
        --output=${page} $<TARGET_FILE:${tool}>
      COMMAND ${BLURKIT_GZIP} -9nf ${page}
      DEPENDS ${tool} blurkit_version_info
      COMMENT "Man page ${tool}.1"
      VERBATIM)
    list(APPEND blurkit_man_pages ${page}.gz)
  endforeach()
  add_custom_target(blurkit_man_pages ALL DEPENDS ${blurkit_man_pages})
  install(FILES ${blurkit_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man or gzip not found: no man pages (scripts/setup.sh installs help2man)")
endif()

# The package's documentation folder: the copyright notice and changelog Debian packages carry.
set(blurkit_doc_dir ${CMAKE_INSTALL_DATADIR}/doc/blurkit)
set(BLURKIT_DEB_MAINTAINER "blurkit maintainers <blurkit@example.org>" CACHE STRING
  "The Maintainer field of the Debian package")
string(TIMESTAMP BLURKIT_BUILD_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)  # honours SOURCE_DATE_EPOCH
# The copyright years: the first and the last commit's (the build's year without git).
string(TIMESTAMP BLURKIT_COPYRIGHT_YEARS "%Y" UTC)
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${PROJECT_SOURCE_DIR} log --format=%ad --date=format:%Y
    OUTPUT_VARIABLE years OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE status ERROR_QUIET)
  if(status EQUAL 0 AND years)
    string(REPLACE "\n" ";" years "${years}")
    list(GET years 0 last)
    list(GET years -1 first)
    set(BLURKIT_COPYRIGHT_YEARS ${first})
    if(NOT first STREQUAL last)
      set(BLURKIT_COPYRIGHT_YEARS ${first}-${last})
    endif()
  endif()
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/copyright.in ${CMAKE_BINARY_DIR}/deb/copyright @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/changelog.in ${CMAKE_BINARY_DIR}/deb/changelog @ONLY)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/deb/changelog.gz
  COMMAND ${BLURKIT_GZIP} -9nkf ${CMAKE_BINARY_DIR}/deb/changelog
  DEPENDS ${CMAKE_BINARY_DIR}/deb/changelog VERBATIM)
add_custom_target(blurkit_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/deb/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/deb/copyright ${CMAKE_BINARY_DIR}/deb/changelog.gz
  DESTINATION ${blurkit_doc_dir})

# The Debian package: `cpack -G DEB` in the build folder (tests/install/deb_test.sh).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME blurkit)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "motion-blur datasets, training and benchmarks")
# The extended description (CPack adds the leading space of each line; lines under 80 columns).
set(CPACK_PACKAGE_DESCRIPTION "blurkit-synth makes motion-blur datasets (blurred images with their sharp
frames) from panoramas, photographs, videos and gyroscope logs; blurkit-train
trains deblurring models on them; blurkit-bench scores any method. With the
C++ libraries and headers, their CMake package, and the Python package
blurkit with its compiled renderer.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${BLURKIT_DEB_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # blurkit_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries' packages come from dpkg-shlibdeps; the Python package needs numpy and h5py,
# and its compiled module the Python version it was built for (3.11 on Debian 12).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(blurkit_python_depends "python3")
if(TARGET blurkit_python_synth)
  if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
    set(Python3_EXECUTABLE /usr/bin/python3)  # as python/CMakeLists.txt
  endif()
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  math(EXPR next_minor "${Python3_VERSION_MINOR} + 1")
  set(blurkit_python_depends "python3 (>= 3.${Python3_VERSION_MINOR}), python3 (<< 3.${next_minor})")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${blurkit_python_depends}, python3-numpy, python3-h5py")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_THREADS 1)
include(CPack)
