import * as pulumi from "@pulumi/pulumi";
import { ClusterOutputs } from "../components/shared/outputs";

/** What each target's wiring returns: the documented output shape, as Pulumi inputs. */
export type StackOutputs = { readonly [K in keyof ClusterOutputs]: pulumi.Input<ClusterOutputs[K]> };
