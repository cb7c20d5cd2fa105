# Scenario suites run through the CLI, exactly as CI users run them.
add_test(NAME scenarios.suite
         COMMAND $<TARGET_FILE:iosim> suite ${CMAKE_SOURCE_DIR}/scenarios/suite -j 2
                 --junit ${CMAKE_BINARY_DIR}/scenarios-suite.junit.xml
                 --trace ${CMAKE_BINARY_DIR}/scenarios-suite.db)
