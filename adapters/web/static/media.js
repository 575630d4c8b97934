// Which media addresses the page offers as links.
//
// An inbound MMS's media addresses come from the webhook, and so from
// whoever sent it: a link in a trusted inbox to any host would be a phishing
// lure. The page links an address only when it is on one of Twilio's media
// hosts, over https, with no user name, password or port; any other is shown
// as plain text.
//
// Twilio's hosts: a webhook's MediaUrlN is Twilio's Media resource on its
// REST API, https://api.twilio.com/2010-04-01/Accounts/AC…/Messages/MM…/Media/ME…
// (https://api.{edge}.{region}.twilio.com/… in a Twilio Region other than
// the default). Fetching it redirects to Twilio's media CDN
// (mms.twiliocdn.com, media.twiliocdn.com), addresses that may be shared too.
// Twilio's older redirect target, a path of one bucket on the shared host
// s3-external-1.amazonaws.com, is not linked: it is never a MediaUrl, and a
// shared host is not Twilio's.

const TWILIO_MEDIA_HOSTS = new Set(["api.twilio.com", "mms.twiliocdn.com", "media.twiliocdn.com"]);
// api.{edge}.{region}.twilio.com, e.g. api.dublin.ie1.twilio.com.
const TWILIO_REGIONAL_API = /^api\.[a-z0-9-]+\.[a-z]{2}[0-9]+\.twilio\.com$/;

// twilioMediaURL is the address as a URL when it is on Twilio's media hosts,
// else null.
export function twilioMediaURL(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" || url.username !== "" || url.password !== "" || url.port !== "") return null;
  return TWILIO_MEDIA_HOSTS.has(url.hostname) || TWILIO_REGIONAL_API.test(url.hostname) ? url : null;
}
