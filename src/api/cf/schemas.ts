// TypeBox schemas shared by CF routes.
import { Type } from 'typebox';

export const GuidParams = Type.Object({ guid: Type.String() });
