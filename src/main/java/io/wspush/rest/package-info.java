/** JAX-RS plumbing shared by the resources: JSON responses and errors, bounded request bodies. */
package io.wspush.rest;
