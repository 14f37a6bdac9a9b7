/*
 * The GPIO character device's v2 uAPI (<linux/gpio.h>), as TypeScript encodes
 * it (src/gpio/uapi.ts). No GPIO call is made here: requests go through the
 * generic ioctl of ioctl.c, reads through fd.c's read. This file holds:
 *
 * - compile-time proof that every struct TypeScript encodes has the same size
 *   and field offsets on every target scripts/prebuild.sh builds (x64, arm64,
 *   armv7, armv6): the v2 structs are laid out with __aligned_u64 and explicit
 *   padding so that they agree across architectures (the v1 uAPI does not: its
 *   event struct differs on 32-bit, so it is never used);
 * - the request numbers, flags and layout facts exported to TypeScript
 *   (binding.gpioConstants), so that TypeScript uses this header's numbers
 *   and checks its own layout table against them when it loads.
 */
#include "ioready.h"

#include <linux/gpio.h>

#define SIZE(type, n) _Static_assert(sizeof(struct type) == (n), "sizeof(struct " #type ") != " #n)
#define AT(type, field, n) \
  _Static_assert(offsetof(struct type, field) == (n), "offsetof(struct " #type ", " #field ") != " #n)

SIZE(gpiochip_info, 68);
AT(gpiochip_info, name, 0);
AT(gpiochip_info, label, 32);
AT(gpiochip_info, lines, 64);

SIZE(gpio_v2_line_values, 16);
AT(gpio_v2_line_values, bits, 0);
AT(gpio_v2_line_values, mask, 8);

SIZE(gpio_v2_line_attribute, 16);
AT(gpio_v2_line_attribute, id, 0);
AT(gpio_v2_line_attribute, padding, 4);
AT(gpio_v2_line_attribute, flags, 8);
AT(gpio_v2_line_attribute, values, 8);
AT(gpio_v2_line_attribute, debounce_period_us, 8);

SIZE(gpio_v2_line_config_attribute, 24);
AT(gpio_v2_line_config_attribute, attr, 0);
AT(gpio_v2_line_config_attribute, mask, 16);

SIZE(gpio_v2_line_config, 272);
AT(gpio_v2_line_config, flags, 0);
AT(gpio_v2_line_config, num_attrs, 8);
AT(gpio_v2_line_config, padding, 12);
AT(gpio_v2_line_config, attrs, 32);

SIZE(gpio_v2_line_request, 592);
AT(gpio_v2_line_request, offsets, 0);
AT(gpio_v2_line_request, consumer, 256);
AT(gpio_v2_line_request, config, 288);
AT(gpio_v2_line_request, num_lines, 560);
AT(gpio_v2_line_request, event_buffer_size, 564);
AT(gpio_v2_line_request, padding, 568);
AT(gpio_v2_line_request, fd, 588);

SIZE(gpio_v2_line_info, 256);
AT(gpio_v2_line_info, name, 0);
AT(gpio_v2_line_info, consumer, 32);
AT(gpio_v2_line_info, offset, 64);
AT(gpio_v2_line_info, num_attrs, 68);
AT(gpio_v2_line_info, flags, 72);
AT(gpio_v2_line_info, attrs, 80);
AT(gpio_v2_line_info, padding, 240);

SIZE(gpio_v2_line_info_changed, 288);
AT(gpio_v2_line_info_changed, info, 0);
AT(gpio_v2_line_info_changed, timestamp_ns, 256);
AT(gpio_v2_line_info_changed, event_type, 264);
AT(gpio_v2_line_info_changed, padding, 268);

SIZE(gpio_v2_line_event, 48);
AT(gpio_v2_line_event, timestamp_ns, 0);
AT(gpio_v2_line_event, id, 8);
AT(gpio_v2_line_event, offset, 12);
AT(gpio_v2_line_event, seqno, 16);
AT(gpio_v2_line_event, line_seqno, 20);
AT(gpio_v2_line_event, padding, 24);

_Static_assert(GPIO_MAX_NAME_SIZE == 32 && GPIO_V2_LINES_MAX == 64 && GPIO_V2_LINE_NUM_ATTRS_MAX == 10,
               "the uAPI's array bounds changed");

typedef struct {
  const char *name;
  uint32_t value;
} gpio_constant_t;

#define C(name) {#name, (uint32_t)(name)}
#define SIZEOF(type) {"SIZEOF_" #type, (uint32_t)sizeof(struct type)}
#define OFFSETOF(type, field) {"OFFSETOF_" #type "_" #field, (uint32_t)offsetof(struct type, field)}

static const gpio_constant_t gpio_constants[] = {
    C(GPIO_GET_CHIPINFO_IOCTL), C(GPIO_GET_LINEINFO_UNWATCH_IOCTL), C(GPIO_V2_GET_LINEINFO_IOCTL),
    C(GPIO_V2_GET_LINEINFO_WATCH_IOCTL), C(GPIO_V2_GET_LINE_IOCTL), C(GPIO_V2_LINE_SET_CONFIG_IOCTL),
    C(GPIO_V2_LINE_GET_VALUES_IOCTL), C(GPIO_V2_LINE_SET_VALUES_IOCTL),

    C(GPIO_MAX_NAME_SIZE), C(GPIO_V2_LINES_MAX), C(GPIO_V2_LINE_NUM_ATTRS_MAX),

    C(GPIO_V2_LINE_FLAG_USED), C(GPIO_V2_LINE_FLAG_ACTIVE_LOW), C(GPIO_V2_LINE_FLAG_INPUT),
    C(GPIO_V2_LINE_FLAG_OUTPUT), C(GPIO_V2_LINE_FLAG_EDGE_RISING), C(GPIO_V2_LINE_FLAG_EDGE_FALLING),
    C(GPIO_V2_LINE_FLAG_OPEN_DRAIN), C(GPIO_V2_LINE_FLAG_OPEN_SOURCE), C(GPIO_V2_LINE_FLAG_BIAS_PULL_UP),
    C(GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN), C(GPIO_V2_LINE_FLAG_BIAS_DISABLED),
    C(GPIO_V2_LINE_FLAG_EVENT_CLOCK_REALTIME), C(GPIO_V2_LINE_FLAG_EVENT_CLOCK_HTE),

    C(GPIO_V2_LINE_ATTR_ID_FLAGS), C(GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES), C(GPIO_V2_LINE_ATTR_ID_DEBOUNCE),
    C(GPIO_V2_LINE_CHANGED_REQUESTED), C(GPIO_V2_LINE_CHANGED_RELEASED), C(GPIO_V2_LINE_CHANGED_CONFIG),
    C(GPIO_V2_LINE_EVENT_RISING_EDGE), C(GPIO_V2_LINE_EVENT_FALLING_EDGE),

    SIZEOF(gpiochip_info), OFFSETOF(gpiochip_info, label), OFFSETOF(gpiochip_info, lines),
    SIZEOF(gpio_v2_line_values), OFFSETOF(gpio_v2_line_values, mask),
    SIZEOF(gpio_v2_line_attribute), OFFSETOF(gpio_v2_line_attribute, flags),
    SIZEOF(gpio_v2_line_config_attribute), OFFSETOF(gpio_v2_line_config_attribute, mask),
    SIZEOF(gpio_v2_line_config), OFFSETOF(gpio_v2_line_config, num_attrs), OFFSETOF(gpio_v2_line_config, attrs),
    SIZEOF(gpio_v2_line_request), OFFSETOF(gpio_v2_line_request, consumer), OFFSETOF(gpio_v2_line_request, config),
    OFFSETOF(gpio_v2_line_request, num_lines), OFFSETOF(gpio_v2_line_request, event_buffer_size),
    OFFSETOF(gpio_v2_line_request, fd),
    SIZEOF(gpio_v2_line_info), OFFSETOF(gpio_v2_line_info, consumer), OFFSETOF(gpio_v2_line_info, offset),
    OFFSETOF(gpio_v2_line_info, num_attrs), OFFSETOF(gpio_v2_line_info, flags), OFFSETOF(gpio_v2_line_info, attrs),
    SIZEOF(gpio_v2_line_info_changed), OFFSETOF(gpio_v2_line_info_changed, timestamp_ns),
    OFFSETOF(gpio_v2_line_info_changed, event_type),
    SIZEOF(gpio_v2_line_event), OFFSETOF(gpio_v2_line_event, id), OFFSETOF(gpio_v2_line_event, offset),
    OFFSETOF(gpio_v2_line_event, seqno), OFFSETOF(gpio_v2_line_event, line_seqno),
};

bool init_gpio(napi_env env, napi_value exports) {
  napi_value group;
  if (napi_create_object(env, &group) != napi_ok || napi_set_named_property(env, exports, "gpioConstants", group) != napi_ok)
    return false;
  /* SAFETY: i < the table's length. */
  for (size_t i = 0; i < sizeof gpio_constants / sizeof gpio_constants[0]; i++) {
    napi_value v;
    if (napi_create_uint32(env, gpio_constants[i].value, &v) != napi_ok ||
        napi_set_named_property(env, group, gpio_constants[i].name, v) != napi_ok)
      return false;
  }
  return true;
}
