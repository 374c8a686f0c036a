// The provider object served by @pulumi/pulumi/provider's main(): dispatches on the
// resource type (the third `::` field of the URN).

import type { CreateResult, Provider, ReadResult, UpdateResult } from "@pulumi/pulumi/provider";
import { check } from "./check";
import { container } from "./container";
import { diff } from "./diff";
import { network, remoteImage, volume } from "./resources";
import { CONTAINER, NETWORK, REMOTE_IMAGE, VOLUME, specFor } from "./schema";
import type { Props } from "./values";

interface Ops {
  create(inputs: Props): Promise<CreateResult>;
  read(id: string, olds: Props): Promise<ReadResult>;
  update(id: string, olds: Props, news: Props): Promise<UpdateResult>;
  delete(id: string, olds: Props): Promise<void>;
}

const OPS: Record<string, Ops> = {
  [NETWORK.token]: { ...network, update: (id, _olds, news) => network.update(id, news) },
  [VOLUME.token]: { ...volume, update: (id, _olds, news) => volume.update(id, news) },
  [REMOTE_IMAGE.token]: { ...remoteImage, update: (id, _olds, news) => remoteImage.update(id, news) },
  [CONTAINER.token]: container,
};

function opsFor(urn: string): Ops {
  return OPS[specFor(urn).token];
}

/** The version the @pulumi/docker SDK in node_modules declares (the engine asks for it). */
export function sdkVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require("@pulumi/docker/package.json") as { version: string; pulumi?: { version?: string } };
  return pkg.pulumi?.version ?? pkg.version;
}

export function makeProvider(): Provider {
  return {
    version: sdkVersion(),
    check: async (urn, olds, news) => check(urn, olds as Props, news as Props),
    diff: async (_id, urn, olds, news) => diff(urn, olds as Props, news as Props),
    create: (urn, inputs) => opsFor(urn).create(inputs as Props),
    read: (id, urn, props) => opsFor(urn).read(id, (props ?? {}) as Props),
    update: (id, urn, olds, news) => opsFor(urn).update(id, olds as Props, news as Props),
    delete: (id, urn, props) => opsFor(urn).delete(id, (props ?? {}) as Props),
  };
}
