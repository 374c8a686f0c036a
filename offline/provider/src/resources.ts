// Network, Volume and RemoteImage: create / read / update / delete.

import type { CreateResult, ReadResult, UpdateResult } from "@pulumi/pulumi/provider";
import { docker, isNotFound, labelMap, removeIfPresent } from "./docker";
import { type Props, isSecret, secret, stableJson, text, unwrap } from "./values";

/** Outputs = the inputs as given (secrets stay wrapped) over the values Docker computed. */
export function outputsFrom(inputs: Props, computed: Props): Props {
  const outs: Props = { ...computed };
  for (const [k, v] of Object.entries(inputs)) {
    if (v !== undefined && v !== null && !k.startsWith("__")) {
      outs[k] = v;
    }
  }
  return outs;
}

/** Refresh: observed values replace the stored ones; a stored secret stays secret. */
export function overlay(olds: Props, observed: Props): Props {
  const outs: Props = { ...olds };
  for (const [k, v] of Object.entries(observed)) {
    if (v === undefined) continue;
    const old = olds[k];
    if (stableJson(unwrap(old)) === stableJson(v)) continue;
    outs[k] = isSecret(old) ? secret(v) : v;
  }
  return outs;
}

function labelList(labels: Record<string, string> | null | undefined): Props[] {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, value]) => ({ label, value }));
}

const GONE: ReadResult = { id: "", props: {} };

// ---------------------------------------------------------------- Network

async function inspectNetwork(id: string): Promise<Props> {
  const n = await docker().getNetwork(id).inspect();
  return {
    name: n.Name,
    driver: n.Driver,
    internal: n.Internal ?? false,
    attachable: n.Attachable ?? false,
    scope: n.Scope,
    options: n.Options ?? {},
    ipamConfigs: ((n.IPAM?.Config ?? []) as Props[]).map((c) => ({
      subnet: c.Subnet ?? "",
      gateway: c.Gateway ?? "",
      ipRange: c.IPRange ?? "",
      auxAddress: c.AuxiliaryAddresses ?? {},
    })),
    ipamDriver: n.IPAM?.Driver ?? "default",
    ipv6: n.EnableIPv6 ?? false,
  };
}

export const network = {
  async create(inputs: Props): Promise<CreateResult> {
    const p = unwrap<Props>(inputs);
    const created = await docker().createNetwork({
      Name: text(p.name),
      Driver: (p.driver as string | undefined) ?? "bridge",
      Internal: p.internal === true,
      Attachable: p.attachable === true,
      Labels: labelMap(p.labels),
      CheckDuplicate: true,
    });
    return { id: created.id, outs: outputsFrom(inputs, await inspectNetwork(created.id)) };
  },
  async read(id: string, olds: Props): Promise<ReadResult> {
    try {
      const observed = await inspectNetwork(id);
      if (!olds || Object.keys(olds).length === 0) {
        const n = await docker().getNetwork(id).inspect();
        observed.labels = labelList(n.Labels);
      }
      return { id, props: overlay(olds ?? {}, observed) };
    } catch (e) {
      if (isNotFound(e)) return GONE;
      throw e;
    }
  },
  async update(id: string, news: Props): Promise<UpdateResult> {
    return { outs: outputsFrom(news, await inspectNetwork(id)) };
  },
  async delete(id: string): Promise<void> {
    await removeIfPresent(`network ${id}`, () => docker().getNetwork(id).remove());
  },
};

// ---------------------------------------------------------------- Volume

async function inspectVolume(name: string): Promise<Props> {
  const v = await docker().getVolume(name).inspect();
  return { name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint, labelsObserved: v.Labels ?? {} };
}

export const volume = {
  async create(inputs: Props): Promise<CreateResult> {
    const p = unwrap<Props>(inputs);
    const created = (await docker().createVolume({
      Name: text(p.name),
      Driver: (p.driver as string | undefined) ?? "local",
      Labels: labelMap(p.labels) ?? {},
    })) as unknown as { Name?: string; name?: string };
    const name = created.Name ?? created.name ?? text(p.name);
    const computed = await inspectVolume(name);
    delete computed.labelsObserved;
    return { id: name, outs: outputsFrom(inputs, computed) };
  },
  async read(id: string, olds: Props): Promise<ReadResult> {
    try {
      const { labelsObserved, ...observed } = await inspectVolume(id);
      if (!olds || Object.keys(olds).length === 0) {
        observed.labels = labelList(labelsObserved as Record<string, string>);
      }
      return { id, props: overlay(olds ?? {}, observed) };
    } catch (e) {
      if (isNotFound(e)) return GONE;
      throw e;
    }
  },
  async update(id: string, news: Props): Promise<UpdateResult> {
    const computed = await inspectVolume(id);
    delete computed.labelsObserved;
    return { outs: outputsFrom(news, computed) };
  },
  async delete(id: string): Promise<void> {
    await removeIfPresent(`volume ${id}`, () => docker().getVolume(id).remove());
  },
};

// ---------------------------------------------------------------- RemoteImage

/** Inspects a local image. Offline there is no pull: a missing image is an error. */
async function localImage(name: string): Promise<Props> {
  try {
    const img = await docker().getImage(name).inspect();
    return { imageId: img.Id, repoDigest: img.RepoDigests?.[0] ?? "" };
  } catch (e) {
    if (isNotFound(e)) {
      throw new Error(
        `image "${name}" is not in the local Docker engine, and the offline docker stand-in never pulls: ` +
          `build or load it first with offline/images.sh`,
      );
    }
    throw e;
  }
}

export const remoteImage = {
  async create(inputs: Props): Promise<CreateResult> {
    const name = text(unwrap(inputs.name));
    const computed = await localImage(name);
    // Same id format as the real provider: <image id><name>.
    return { id: `${text(computed.imageId)}${name}`, outs: outputsFrom(inputs, computed) };
  },
  async read(id: string, olds: Props): Promise<ReadResult> {
    const name = olds?.name !== undefined ? text(unwrap(olds.name)) : id.replace(/^sha256:[0-9a-f]{64}/, "");
    try {
      const img = await docker().getImage(name).inspect();
      const observed = { name, imageId: img.Id, repoDigest: img.RepoDigests?.[0] ?? "" };
      return { id: `${img.Id}${name}`, props: overlay(olds ?? {}, observed) };
    } catch (e) {
      if (isNotFound(e)) return GONE;
      throw e;
    }
  },
  async update(_id: string, news: Props): Promise<UpdateResult> {
    return { outs: outputsFrom(news, await localImage(text(unwrap(news.name)))) };
  },
  async delete(_id: string, olds: Props): Promise<void> {
    if (unwrap(olds.keepLocally) === true) {
      return;
    }
    const name = text(unwrap(olds.name));
    await removeIfPresent(`image ${name}`, () => docker().getImage(name).remove());
  },
};
