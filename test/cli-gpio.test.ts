// `ioready gpio`: the command line (here, no GPIO needed); the commands on real
// (simulated) chips run in the VM: test/gpio/cli.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { parseGpioArgs } from '../src/cli/gpio';
import { runCli } from './cli-helpers';

const noChips = !fs.readdirSync('/dev').some((n) => n.startsWith('gpiochip'));

describe('ioready gpio: arguments', () => {
  test('each command and its options', () => {
    assert.deepEqual(parseGpioArgs(['info']).args, []);
    assert.deepEqual(parseGpioArgs(['info', 'gpiochip0', 'pinctrl-rp1']).args, ['gpiochip0', 'pinctrl-rp1']);
    const get = parseGpioArgs(['get', '--chip', '0', '--bias', 'pull-down', '-l', '17', 'GPIO4']);
    assert.equal(get.command, 'get');
    assert.equal(get.chip, '0');
    assert.equal(get.bias, 'pull-down');
    assert.equal(get.activeLow, true);
    assert.deepEqual(get.args, ['17', 'GPIO4']);
    const mon = parseGpioArgs(['mon', '--bias', 'pull-up', '--edge', 'falling', '--debounce', '10', '-n', '4', 'GPIO17']);
    assert.deepEqual([mon.command, mon.bias, mon.edge, mon.debounceMs, mon.numEvents, mon.args], ['mon', 'pull-up', 'falling', 10, 4, ['GPIO17']]);
    assert.equal(parseGpioArgs(['mon', '17']).edge, 'both');
    assert.equal(parseGpioArgs(['mon', '17']).bias, 'as-is');
    assert.deepEqual(parseGpioArgs(['set', 'GPIO17=1', '4=off']).args, ['GPIO17=1', '4=off']);
    assert.equal(parseGpioArgs(['--help']).help, true);
    assert.equal(parseGpioArgs(['mon', '--help']).help, true);
  });

  test('bad command lines are UsageErrors (exit 2) with one clear line', () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /give a command: info, get, set or mon/],
      [['blink'], /unknown gpio command 'blink'/],
      [['get'], /give at least one LINE/],
      [['set'], /give at least one LINE=VALUE/],
      [['set', 'GPIO17'], /'GPIO17' is not LINE=VALUE/],
      [['set', 'GPIO17=2'], /VALUE must be 1 or 0/],
      [['set', '=1'], /is not LINE=VALUE/],
      [['mon', '--edge', 'up', '17'], /--edge must be both, rising or falling, not 'up'/],
      [['mon', '--bias', 'pullup', '17'], /--bias must be pull-up, pull-down, disabled or as-is/],
      [['mon', '--debounce', '-1', '17'], /--debounce must be a whole number/],
      [['mon', '--debounce', '1.5', '17'], /--debounce must be a whole number/],
      [['mon', '--debounce', '99999999', '17'], /--debounce must be a whole number from 0 to 4294967/],
      [['mon', '--chip'], /option '--chip' needs a value/],
      [['mon', '--frobnicate', '17'], /unknown option '--frobnicate'/],
      [['get', '--edge', 'both', '17'], /--edge is not an option of 'gpio get'/],
      [['set', '--bias', 'pull-up', '17=1'], /--bias is not an option of 'gpio set'/],
      [['info', '--chip', '0'], /--chip is not an option of 'gpio info'/],
    ];
    for (const [args, message] of cases) {
      assert.throws(() => parseGpioArgs(args), (err: Error & { exitCode?: number }) => {
        assert.match(err.message, message, args.join(' '));
        assert.equal(err.exitCode, 2, args.join(' '));
        return true;
      });
    }
  });

  test('through the command: --help exits 0, a bad line exits 2, no chip exits 1, each one line on stderr', async () => {
    const help = await runCli(['gpio', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: ioready gpio <command>/);
    assert.match(help.stdout, /mon \[--chip C\] LINE\.\.\./);
    const bad = await runCli(['gpio', 'mon', '--edge', 'up', '17']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, "ioready gpio: --edge must be both, rising or falling, not 'up' (see 'ioready gpio --help')\n");
    if (noChips) {
      const none = await runCli(['gpio', 'info']);
      assert.equal(none.code, 1);
      assert.equal(none.stderr, 'ioready gpio: no GPIO chip on this machine (/dev/gpiochip*)\n');
      const missing = await runCli(['gpio', 'get', '--chip', 'gpiochip7', '3']);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, "ioready gpio: no such chip 'gpiochip7'\n");
    }
  });
});
