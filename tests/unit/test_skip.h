/* test_skip.h — honest skips for cmocka unit tests. cmocka's skip() alone leaves the program's
 * exit status 0, so CTest would report a pass. TEST_SKIP prints the reason, counts the skip and
 * skips; test_skip_status turns a run without failures but with skips into exit status 77,
 * which CTest reports as "Skipped" (SKIP_RETURN_CODE in CMakeLists.txt). Header-only: include
 * it from one test program, after <cmocka.h>.
 *
 *     return test_skip_status(cmocka_run_group_tests(tests, NULL, NULL));
 */
#ifndef ANZEN_TEST_SKIP_H
#define ANZEN_TEST_SKIP_H

static int test_skip__count;

#define TEST_SKIP(...)                                                                             \
    do {                                                                                           \
        print_message("SKIP: " __VA_ARGS__);                                                       \
        print_message("\n");                                                                       \
        test_skip__count++;                                                                        \
        skip();                                                                                    \
    } while (0)

/* The program's exit status: failures stay failures; no failures but a skip -> 77. */
static inline int test_skip_status(int failures)
{
    return failures == 0 && test_skip__count > 0 ? 77 : failures;
}

#endif
