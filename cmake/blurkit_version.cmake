# Writes blurkit's version header (cmake/version_info.h.in) at build time, so that the git commit
# it records is the one the binaries were built from, not the one the build was configured at.
# The commit is `git describe --always --dirty` of the source tree; "unknown" where the sources are
# not a git checkout (a source tarball) or git is missing; a non-empty GIT_COMMIT given by the
# caller (-DBLURKIT_GIT_COMMIT=... at configure time) wins. The header is rewritten only when its
# text changes, so an unchanged commit recompiles nothing.
#
# usage: cmake -DSOURCE_DIR=... -DOUTPUT=... -DBLURKIT_VERSION=... [-DGIT_COMMIT=...] -P blurkit_version.cmake
if(GIT_COMMIT)
  set(BLURKIT_GIT_COMMIT "${GIT_COMMIT}")
else()
  set(BLURKIT_GIT_COMMIT "unknown")
  find_program(GIT_EXECUTABLE git)
  if(GIT_EXECUTABLE AND EXISTS "${SOURCE_DIR}/.git")
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" describe --always --dirty --abbrev=12
                    OUTPUT_VARIABLE described OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE status ERROR_QUIET)
    if(status EQUAL 0 AND described)
      set(BLURKIT_GIT_COMMIT "${described}")
    endif()
  endif()
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/version_info.h.in" "${OUTPUT}" @ONLY)
