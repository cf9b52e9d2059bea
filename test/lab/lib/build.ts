// Builds one scenario into fresh namespaces: nodes, CNI plumbing, kube-proxy, CNI
// iptables rules, then the scenario's fault (if any) is made on the fault node.
import { buildCalico, calicoRules } from './calico.ts';
import { buildFlannel, flannelRules } from './flannel.ts';
import { applyKubeProxy } from './kube-proxy.ts';
import { buildNodes, peerOf } from './nodes.ts';
import { VXLAN } from './spec.ts';
import type { Lab } from './lab.ts';

export function buildScenario(lab: Lab): void {
  const { spec } = lab;
  lab.createNamespaces();
  buildNodes(lab);
  if (spec.cni.plugin === 'flannel') buildFlannel(lab);
  else buildCalico(lab);
  applyKubeProxy(lab);
  for (const node of spec.nodes) {
    const forwardAccept = !(spec.fault?.kind === 'forward-drop' && spec.fault.node === node.name);
    const rules = spec.cni.plugin === 'flannel' ? flannelRules(lab, node, { forwardAccept }) : calicoRules(lab, node);
    lab.restore(node.name, rules);
  }
  applyFault(lab);
}

function applyFault(lab: Lab): void {
  const fault = lab.spec.fault;
  if (fault === undefined) return;
  const peer = lab.node(peerOf(lab, fault.node));
  switch (fault.kind) {
    case 'fdb-missing': {
      if (peer.vtepMac === undefined) throw new Error('fdb-missing needs a vxlan scenario');
      const device = VXLAN[lab.spec.cni.plugin].device;
      lab.exec(fault.node, ['bridge', 'fdb', 'del', peer.vtepMac, 'dev', device, 'dst', peer.underlay, 'self']);
      return;
    }
    case 'forward-drop':
      lab.exec(fault.node, ['iptables', '-P', 'FORWARD', 'DROP']);
      return;
    case 'no-route':
      lab.ip(fault.node, 'route', 'del', peer.podCIDR);
      return;
  }
}
