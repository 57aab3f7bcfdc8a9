/** The byte and text parsers the reporters stand on, against the kernel's own formats. */
import { REPORT_SCHEMA_VERSION } from '../../../services/lib/report/report-schema';
import { cgroupRootOffset, containerFromCgroupFile, containerFromPath, fromRealRoot, parseCgroupFile } from '../../../services/probe/src/cgroup-identity';
import { interfaceNames, ipv4Addresses, ipv6Addresses } from '../../../services/probe/src/net-addresses';
import { cmdlineText } from '../../../services/probe/src/process-reporter';
import { parseProcStat } from '../../../services/probe/src/proc-stat';
import { parseRetryAfter } from '../../../services/probe/src/report-transport';
import { REPORT_SCHEMA_VERSION_TEXT } from '../../../services/probe/src/report-version';
import { runnerLabelsFromEnviron, runnerLabelsFromEnvList } from '../../../services/probe/src/runner-environment';
import { formatIpv6, SocketColumns, TCP_STATES, TcpTableParser } from '../../../services/probe/src/tcp-table';

const HEX64 = 'a'.repeat(64);

describe('/proc/<pid>/stat', () => {
  test('a name with spaces and parentheses still yields the fields after it', () => {
    const line = Buffer.from('4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 10 0 0 0 120 30 0 0 20 0 7 0 99887 12345678 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n');
    expect(parseProcStat(line, line.length)).toEqual({ pid: 4242, comm: 'my (odd) name', state: 'S', ppid: 1, kernelThread: false, cpuTicks: 150, threads: 7, starttime: 99887, rssPages: 321 });
  });

  test('a kernel thread is told by PF_KTHREAD in its flags', () => {
    const line = Buffer.from('2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0\n');
    expect(parseProcStat(line, line.length)?.kernelThread).toBe(true);
  });

  test('a truncated line is not a stat', () => {
    const line = Buffer.from('12 (sh) S 1 12');
    expect(parseProcStat(line, line.length)).toBeUndefined();
  });
});

describe('/proc/net/tcp and tcp6', () => {
  function parse(text: string, family: 4 | 6) {
    const parser = new TcpTableParser();
    const cols = new SocketColumns();
    const buf = Buffer.from(text);
    parser.parse(buf, 0, buf.length, family, cols);
    return Array.from({ length: cols.count }, (_, i) => ({
      local: `${parser.names.names[cols.localIp[i]]}:${cols.localPort[i]}`,
      remote: `${parser.names.names[cols.remoteIp[i]]}:${cols.remotePort[i]}`,
      state: TCP_STATES[cols.state[i]],
      inode: cols.inode[i],
    }));
  }

  test('v4 lines give addresses in dotted form, ports, state and inode; the header is skipped', () => {
    const table =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 39 1 0000000000000000 100 0 0 10 0\n' +
      '   1: 0502000A:C350 0100000A:0050 01 00000000:00000000 02:000A7D1C 00000000  1000        0 123456 2 0000000000000000 20 4 30 10 -1\n' +
      '   2: 0502000A:C351 0100000A:0050 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n';
    expect(parse(table, 4)).toEqual([
      { local: '127.0.0.1:8080', remote: '0.0.0.0:0', state: 'listen', inode: 39 },
      { local: '10.0.2.5:50000', remote: '10.0.0.1:80', state: 'established', inode: 123456 },
      { local: '10.0.2.5:50001', remote: '10.0.0.1:80', state: 'time_wait', inode: 0 },
    ]);
  });

  test('v6 lines: words in host byte order, RFC 5952 text, IPv4-mapped peers as plain IPv4', () => {
    const table =
      '   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20 1 0000000000000000 100 0 0 10 0\n' +
      '   1: 0000000000000000FFFF00000502000A:1F90 0000000000000000FFFF00000100000A:D431 01 00000000:00000000 00:00000000 00000000     0        0 21 1 0000000000000000 100 0 0 10 0\n' +
      '   2: B80D0120000000000000000001000000:01BB 00000000000000000000000001000000:9C40 01 00000000:00000000 00:00000000 00000000     0        0 22 1 0000000000000000 100 0 0 10 0\n';
    expect(parse(table, 6)).toEqual([
      { local: ':::22', remote: ':::0', state: 'listen', inode: 20 },
      { local: '10.0.2.5:8080', remote: '10.0.0.1:54321', state: 'established', inode: 21 },
      { local: '2001:db8::1:443', remote: '::1:40000', state: 'established', inode: 22 },
    ]);
  });

  test('an IPv6 address compresses its longest zero run, the first of equals', () => {
    expect(formatIpv6(Uint8Array.from([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]))).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(Uint8Array.from([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xfc, 0, 0xff, 0xfe, 0, 0, 1]))).toBe('fe80::fc:ff:fe00:1');
    expect(formatIpv6(new Uint8Array(16))).toBe('::');
  });
});

describe('a namespace\'s addresses and interfaces', () => {
  test('fib_trie gives the /32 host LOCAL addresses once each, loopback left out', () => {
    const fib = 'Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 127.0.0.1\n        /32 host LOCAL\n     |-- 192.0.2.2\n        /32 host LOCAL\n     |-- 192.0.2.255\n        /32 link BROADCAST\nLocal:\n     |-- 192.0.2.2\n        /32 host LOCAL\n';
    expect(ipv4Addresses(fib)).toEqual(['192.0.2.2']);
  });

  test('if_inet6 gives v6 addresses, ::1 left out', () => {
    expect(ipv6Addresses('fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n00000000000000000000000000000001 01 80 10 80       lo\n')).toEqual(['fe80::fc:ff:fe00:1']);
  });

  test('net/dev names every interface', () => {
    expect(interfaceNames('Inter-|   Receive\n face |bytes\n    lo: 1 2\n  eth0: 3 4\n')).toEqual(['lo', 'eth0']);
  });
});

describe('which container a cgroup path names', () => {
  test.each([
    ['Docker, cgroupfs', `/docker/${HEX64}`, { id: HEX64, runtime: 'docker' }],
    ['Docker, systemd', `/system.slice/docker-${HEX64}.scope`, { id: HEX64, runtime: 'docker' }],
    ['kubepods, cgroupfs', `/kubepods/burstable/pod0d4a2f6e-7c1b-4e8f-9a3d-2b5c6d7e8f90/${HEX64}`, { id: HEX64, runtime: 'cgroup', podUid: '0d4a2f6e-7c1b-4e8f-9a3d-2b5c6d7e8f90' }],
    ['kubepods, systemd, containerd', `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0d4a2f6e_7c1b_4e8f_9a3d_2b5c6d7e8f90.slice/cri-containerd-${HEX64}.scope`, { id: HEX64, runtime: 'containerd', podUid: '0d4a2f6e-7c1b-4e8f-9a3d-2b5c6d7e8f90' }],
    ['kubepods, systemd, CRI-O', `/kubepods.slice/kubepods-pod0d4a2f6e_7c1b_4e8f_9a3d_2b5c6d7e8f90.slice/crio-${HEX64}.scope`, { id: HEX64, runtime: 'cri-o', podUid: '0d4a2f6e-7c1b-4e8f-9a3d-2b5c6d7e8f90' }],
    ['Mesos containerizer', '/mesos/6c3b1e2a-1111-4222-8333-944455556666', { id: '6c3b1e2a-1111-4222-8333-944455556666', runtime: 'mesos' }],
    ['a nested Mesos container is its own', '/mesos/parent-id/mesos/child-id', { id: 'child-id', runtime: 'mesos' }],
  ])('%s', (_what, path, expected) => {
    expect(containerFromPath(path)).toEqual(expected);
  });

  test('a host process is in no container', () => {
    expect(containerFromPath('/system.slice/sshd.service')).toBeUndefined();
    expect(containerFromPath('/')).toBeUndefined();
  });

  test('v1 files keep each controller\'s path; the container is found on a hybrid host whose unified path is /', () => {
    const text = `12:pids:/docker/${HEX64}\n4:memory:/docker/${HEX64}\n3:cpu,cpuacct:/docker/${HEX64}\n2:blkio:/docker/${HEX64}\n1:name=systemd:/docker/${HEX64}\n0::/\n`;
    expect(parseCgroupFile(text)).toEqual({ pids: `/docker/${HEX64}`, memory: `/docker/${HEX64}`, cpuacct: `/docker/${HEX64}`, blkio: `/docker/${HEX64}`, unified: '/' });
    expect(containerFromCgroupFile(text)).toMatchObject({ id: HEX64, runtime: 'docker', cgroup: `/docker/${HEX64}` });
  });

  test('a probe in its own cgroup namespace strips as many ".." as init\'s path has, and cannot place a sibling', () => {
    const offset = cgroupRootOffset('/../../..');
    expect(offset).toBe(3);
    expect(fromRealRoot(`/../../../kubepods.slice/x/cri-containerd-${HEX64}.scope`, offset)).toBe(`/kubepods.slice/x/cri-containerd-${HEX64}.scope`);
    expect(fromRealRoot('/../sibling', offset)).toBeUndefined();
    expect(fromRealRoot('/docker/x', 0)).toBe('/docker/x');
  });
});

describe('who runs a process', () => {
  test('only MESOS_ and MARATHON_ variables the contract names become labels', () => {
    const environ = Buffer.from('PATH=/bin\0MESOS_TASK_ID=web.1\0MESOS_SANDBOX=/mnt\0MARATHON_APP_ID=/shop/web\0MARATHON_APP_VERSION=v2\0MESOS_FRAMEWORK_ID=f-1\0MESOS_EXECUTOR_ID=e=1\0');
    expect(runnerLabelsFromEnviron(environ, environ.length)).toEqual({ mesos_task_id: 'web.1', marathon_app_id: '/shop/web', marathon_app_version: 'v2', mesos_framework_id: 'f-1', mesos_executor_id: 'e=1' });
    expect(runnerLabelsFromEnvList(['MARATHON_APP_ID=/a', 'X=1'])).toEqual({ marathon_app_id: '/a' });
    expect(runnerLabelsFromEnvList(null)).toEqual({});
  });

  test('a cmdline is its arguments joined by spaces, cut at 1024 characters', () => {
    const buf = Buffer.from('java\0-jar\0zk.jar\0');
    expect(cmdlineText(buf, buf.length)).toBe('java -jar zk.jar');
    const long = Buffer.from(`${'x'.repeat(2000)}\0`);
    expect(cmdlineText(long, long.length)).toHaveLength(1024);
  });
});

describe('Retry-After', () => {
  test('seconds or an HTTP date, as milliseconds from now', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter(new Date(61_000).toUTCString(), 1_000)).toBe(60_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});

test('the probe writes the schema version report-schema.ts defines', () => {
  expect(REPORT_SCHEMA_VERSION_TEXT).toBe(REPORT_SCHEMA_VERSION);
});
