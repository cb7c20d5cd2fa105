# Command-line contracts (exit codes, messages, repro, JUnit, report).
add_test(NAME cli.contracts
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/cli_test.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/cli-test)
add_test(NAME cli.readme_examples
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/readme_test.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/readme-test)
