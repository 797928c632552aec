/** Who is connected to this node: open connections, and registered ones by user id. */
package io.wspush.registry;
