/*
 * ABI 1.2, checked at compile time (abi_check.h says how): against the current header, so a
 * change to what 1.2 released fails the build, and against tests/abi/v1_2, so the expected
 * numbers in layout_v1_2.h are proven. Nothing here runs.
 */
#include <berth/plugin.h>

#include "abi_check.h"
#include "layout_v1_2.h"

BERTH_ABI_CHECK_MAJOR_1(2)
BERTH_ABI_V1_2_FIELDS(BERTH_ABI_FIRST, BERTH_ABI_NEXT)
BERTH_ABI_V1_2_SIZES(BERTH_ABI_SIZE)
BERTH_ABI_V1_2_CONSTANTS(BERTH_ABI_VALUE, BERTH_ABI_STRING)
