// The explainer's journey of one connection as a picture: the model's hops as devices,
// each drawn as the captures found it (seen, missing where a capture should have seen the
// packet, no capture there), arrows dashed red into a device the packet never reached, and
// the verdict (agrees, lost after X with its cause, disagrees) as the ending.
import type { Explanation, Journey } from '../explain/model.ts';
import type { Topology } from '../topology/model.ts';
import type { EndingTone, Picture, PictureArrow } from './model.ts';
import { PictureScene, formatOuter, formatPacket } from './scene.ts';

const VERDICT_TONE: Record<Journey['verdict'], EndingTone> = {
  agrees: 'success',
  disagrees: 'failure',
  lost: 'failure',
  rejected: 'failure',
  'no-model': 'unknown',
};

function verdictTitle(journey: Journey): string {
  switch (journey.verdict) {
    case 'agrees':
      return `AGREES: the ${journey.firstPacket} went where the model says`;
    case 'lost': {
      const after = journey.lostAfter;
      return `LOST after ${[after?.at, after?.interface].filter(Boolean).join(' ') || 'the client'}`;
    }
    case 'rejected': {
      const after = journey.lostAfter;
      const sees = journey.refusal ? `: ${journey.refusal.clientSees}` : '';
      return `REJECTED after ${[after?.at, after?.interface].filter(Boolean).join(' ') || 'the client'}${sees}`;
    }
    case 'disagrees':
      return 'DISAGREES with the model';
    case 'no-model':
      return 'NO MODEL: the dumps give no path to compare';
    default: {
      const unhandled: never = journey.verdict;
      return unhandled;
    }
  }
}

/** The journey to draw: the one asked for, else the first that found trouble, else the first. */
export function chooseJourney(explanation: Explanation, connection?: string): Journey | undefined {
  if (connection !== undefined) return explanation.journeys.find((j) => j.connection === connection);
  return explanation.journeys.find((j) => j.verdict !== 'agrees') ?? explanation.journeys[0];
}

export function pictureOfJourney(journey: Journey, explanation: Explanation, topology: Topology): Picture {
  const scene = new PictureScene(topology);
  const arrows: PictureArrow[] = [];
  const hops = journey.model?.hops;
  if (hops && hops.length > 0) {
    const ids = hops.map((h) => scene.device(h.at, h.interface, h.check === 'seen' ? 'seen' : h.check === 'missing' ? 'missing' : 'no-capture'));
    for (let i = 0; i + 1 < hops.length; i++) {
      const next = hops[i + 1]!;
      const packet = [
        ...(next.packet ? [formatPacket(next.packet)] : []),
        ...(next.outer ? [formatOuter({ ...next.outer, encapsulation: next.outer.encapsulation ?? 'vxlan' })] : []),
        ...(next.frame !== undefined ? [`frame ${next.frame} of capture ${(next.capture ?? 0) + 1}`] : []),
        ...next.differences.map((d) => `differs: ${d}`),
      ];
      arrows.push({ id: `a${i + 1}`, from: ids[i]!, to: ids[i + 1]!, numbers: [`${i + 1}`], packet, nat: [], evidence: next.check });
    }
  } else {
    const ids = journey.sightings.filter((s) => s.at !== undefined && s.interface !== undefined).map((s) => ({ s, id: scene.device(s.at!, s.interface!, 'seen') }));
    ids.slice(1).forEach(({ s, id }, i) => {
      arrows.push({ id: `a${i + 1}`, from: ids[i]!.id, to: id, numbers: [`${i + 1}`], packet: [formatPacket(s.packet), `frame ${s.frame} in ${s.file}`], nat: [], evidence: 'seen' });
    });
  }
  const lastSeen = journey.lostAfter?.at !== undefined && journey.lostAfter.interface !== undefined
    ? scene.device(journey.lostAfter.at, journey.lostAfter.interface, 'seen')
    : undefined;
  const endDevice = lastSeen ?? arrows.at(-1)?.to ?? arrows[0]?.from;
  if (endDevice !== undefined) {
    scene.ending({
      device: endDevice,
      tone: VERDICT_TONE[journey.verdict],
      title: verdictTitle(journey),
      detail: [...(journey.cause ? [journey.cause.text] : []), ...(journey.model?.reason ? [`the model: ${journey.model.reason}`] : [])],
    });
  }
  scene.addIdleDevices();
  const connection = explanation.connections.find((c) => c.id === journey.connection);
  return scene.picture(
    connection ? `${journey.connection}: ${connection.summary}` : `connection ${journey.connection}`,
    [`the ${journey.firstPacket} across ${explanation.captures.length} capture${explanation.captures.length === 1 ? '' : 's'}`],
    arrows,
  );
}
